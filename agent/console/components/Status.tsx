/**
 * A polite live region that is in the page from its first render, empty until there is news: screen
 * readers announce a region's text changing, and often miss a region that appears with its text.
 * An error keeps its own `role="alert"` paragraph, which is announced when it appears.
 */
import type { ComponentChildren } from "preact";

export function Status({
  children,
  class: className,
  testId,
}: {
  children?: ComponentChildren;
  class?: string;
  testId?: string;
}) {
  return (
    <p role="status" class={className ? `live ${className}` : "live"} data-testid={testId}>
      {children}
    </p>
  );
}
