import { createRoot, render } from '@wordpress/element';

/**
 * Renders into a container with `createRoot` where WordPress has it (6.2+, React 18)
 * and with the legacy `render` on older WordPress (6.1 ships React 17).
 */
export function mount(container: Element, node: JSX.Element): void {
  if (typeof createRoot === 'function') createRoot(container).render(node);
  else render(node, container);
}
