import { Component, type FunctionComponent, h } from 'preact';

/**
 * `render` as a component that renders again only when one of its props changes (compared with
 * ===), like compat's `memo` without pulling in the compat layer.
 */
export function pure<P extends object>(render: FunctionComponent<P>) {
  return class Pure extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      const prev = this.props as Record<string, unknown>;
      const now = next as Record<string, unknown>;
      for (const key in now) if (now[key] !== prev[key]) return true;
      for (const key in prev) if (!(key in now)) return true;
      return false;
    }

    override render(props: P) {
      return h(render, props);
    }
  };
}
