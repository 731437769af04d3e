/* The "Clickpath opt-out" block: rendered by PHP (Privacy::optout_html), described here for the editor. */
( function ( wp ) {
	var el = wp.element.createElement;
	var __ = wp.i18n.__;
	wp.blocks.registerBlockType( 'clickpath/optout', {
		apiVersion: 2,
		title: __( 'Analytics opt-out', 'clickpath' ),
		description: __( 'Lets visitors opt out of (or back into) Clickpath statistics.', 'clickpath' ),
		category: 'widgets',
		icon: 'chart-area',
		supports: { html: false },
		edit: function () {
			return el( 'div', wp.blockEditor.useBlockProps(), el( wp.serverSideRender, { block: 'clickpath/optout' } ) );
		},
		save: function () {
			return null;
		},
	} );
} )( window.wp );
