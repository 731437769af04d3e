<?php
/**
 * Automatic annotations: publishing/updating posts and activating/updating plugins and themes
 * queue notes in the outbox, which the cron run POSTs to the backend; only when the option is on
 * and the key may manage the site. (The queue itself: OutboxTest.)
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Outbox;
use Clickpath\Settings;

final class AnnotationsTest extends TestCase {

	private const DUMMY = 'clickpath-test-dummy.php';

	protected function setUp(): void {
		parent::setUp();
		file_put_contents( WP_PLUGIN_DIR . '/' . self::DUMMY, "<?php\n/**\n * Plugin Name: Clickpath Dummy <b>Plugin</b>\n */\n" );
		wp_clean_plugins_cache( false );
		$this->backend->on( 'POST', '#/annotations$#', FakeBackend::json( 201, array( 'id' => '65a1b2c3d4e5f60718293a4e' ) ) );
	}

	protected function tearDown(): void {
		deactivate_plugins( self::DUMMY, true );
		@unlink( WP_PLUGIN_DIR . '/' . self::DUMMY ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		wp_clean_plugins_cache( false );
		parent::tearDown();
	}

	/** @return string[] The texts POSTed. */
	private function sent(): array {
		$calls = $this->backend->calls_to( '#/annotations$#', 'POST' );
		return array_map( static fn ( $call ) => $call['body']['text'], $calls );
	}

	public function test_publishing_a_post_and_activating_a_plugin_are_queued_then_sent_by_the_cron_run(): void {
		$this->connect_site(
			array(
				'autoAnnotations' => true,
				'scopes'          => array( 'stats:read', 'sites:manage' ),
			)
		);
		$id = $this->post( array( 'post_title' => 'Spring <em>sale</em>' ) );
		$this->assertNull( activate_plugin( self::DUMMY ) );
		$this->assertSame( array(), $this->backend->calls, 'nothing sent during the request' );
		$this->assertSame( array( 'Published: Spring sale', 'Plugin activated: Clickpath Dummy Plugin' ), self::pending_annotations() );
		$this->assertLessThanOrEqual( time(), wp_next_scheduled( Outbox::HOOK ), 'a cron run is due now' );

		do_action( Outbox::HOOK );
		$calls = $this->backend->calls_to( '#/annotations$#', 'POST' );
		$this->assertCount( 2, $calls );
		foreach ( $calls as $call ) {
			$this->assertSame( self::BACKEND . '/api/v1/sites/' . self::SITE_ID . '/annotations', $call['url'] );
			$this->assertSame( wp_date( 'Y-m-d' ), $call['body']['day'] );
			$this->assertSame( 'Bearer ' . self::key(), $call['headers']['authorization'] );
			$this->assertTrue( $call['safe'] );
			$this->assertStringNotContainsString( '<', $call['body']['text'] );
		}
		$this->assertSame( array( 'Published: Spring sale', 'Plugin activated: Clickpath Dummy Plugin' ), $this->sent() );
		$this->assertSame( array(), self::pending_annotations(), 'the queue is emptied' );
		$this->assertFalse( wp_next_scheduled( Outbox::HOOK ), 'no run left scheduled' );

		// Updating a published post, and updates of plugins and themes.
		wp_update_post(
			array(
				'ID'         => $id,
				'post_title' => 'Spring sale (extended)',
			)
		);
		do_action(
			'upgrader_process_complete',
			null,
			array(
				'action'  => 'update',
				'type'    => 'plugin',
				'plugins' => array( self::DUMMY ),
			)
		);
		do_action(
			'upgrader_process_complete',
			null,
			array(
				'action' => 'update',
				'type'   => 'theme',
				'themes' => array( get_stylesheet() ),
			)
		);
		do_action(
			'upgrader_process_complete',
			null,
			array(
				'action' => 'install',
				'type'   => 'plugin',
			)
		);
		do_action( 'switch_theme', 'Another Theme', wp_get_theme(), wp_get_theme() );
		$this->assertSame(
			array(
				'Updated: Spring sale (extended)',
				'Plugin updated: Clickpath Dummy Plugin',
				'Theme updated: ' . wp_get_theme()->get( 'Name' ),
				'Theme activated: Another Theme',
			),
			self::pending_annotations()
		);
		do_action( Outbox::HOOK );
		$this->assertCount( 6, $this->sent() );
	}

	public function test_drafts_revisions_and_non_public_types_are_not_annotated(): void {
		$this->connect_site();
		$draft = $this->post( array( 'post_status' => 'draft' ) );
		$this->post( array( 'post_status' => 'private' ) );
		$this->post(
			array(
				'post_type'  => 'wp_block',
				'post_title' => 'A reusable block',
			)
		);
		wp_update_post(
			array(
				'ID'         => $draft,
				'post_title' => 'Still a draft',
			)
		);
		$this->assertSame( array(), self::pending_annotations() );
		// The same note twice on a day is sent once; long titles are cut.
		$this->post( array( 'post_title' => str_repeat( 'a', 600 ) ) );
		$this->post( array( 'post_title' => str_repeat( 'a', 600 ) ) );
		do_action( Outbox::HOOK );
		$this->assertCount( 1, $this->sent() );
		$this->assertSame( 500, mb_strlen( $this->sent()[0] ) );
	}

	public function test_nothing_is_queued_or_sent_when_off_without_scope_or_not_connected(): void {
		foreach ( array(
			'auto annotations off' => function () {
				$this->connect_site( array( 'autoAnnotations' => false ) );
			},
			'read-only key'        => function () {
				$this->connect_site( array( 'scopes' => array( 'stats:read' ) ) );
			},
			'not connected'        => function () {
				Settings::delete_api_key();
				Settings::save(
					array_merge(
						Settings::get(),
						array(
							'siteId'   => '',
							'publicId' => '',
							'scopes'   => array( 'sites:manage' ),
						)
					)
				);
			},
		) as $case => $setup ) {
			$setup();
			$this->post( array( 'post_title' => "Post while $case" ) );
			activate_plugin( self::DUMMY );
			deactivate_plugins( self::DUMMY, true );
			$this->assertSame( array(), self::pending_annotations(), $case );
			$this->assertFalse( wp_next_scheduled( Outbox::HOOK ), $case );
			do_action( Outbox::HOOK );
			$this->assertSame( array(), $this->backend->calls, $case );
		}
	}

	public function test_a_note_keeps_the_day_it_was_queued_on(): void {
		$this->connect_site();
		$this->post( array( 'post_title' => 'Yesterday' ) );
		// The backend was down until today: the note still goes on the day the post was published.
		$queue                              = Outbox::read();
		$queue['entries'][0]['body']['day'] = '2024-02-29';
		update_option( Outbox::OPTION, $queue, false );
		do_action( Outbox::HOOK );
		$this->assertSame( '2024-02-29', $this->backend->calls_to( '#/annotations$#', 'POST' )[0]['body']['day'] );
	}
}
