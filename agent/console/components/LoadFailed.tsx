/**
 * Something the page shows could not be loaded: the error, and a button to try again. While a try
 * is on its way the error is taken away, so that the same failure a second time is announced again;
 * the button stays and keeps focus (`aria-disabled`, not `disabled`: Chromium moves focus off a
 * button that becomes disabled). Once a try works the page stops showing this, and focus, if it was
 * on the button, goes to `landing` (the page's heading) rather than to the top of the document.
 */
import { useRef, useState } from "preact/hooks";

export function LoadFailed({
  message,
  onRetry,
  landing,
}: {
  message: string;
  /** Loads again; answers whether it worked. */
  onRetry: () => Promise<boolean>;
  landing?: () => HTMLElement | null;
}) {
  const [trying, setTrying] = useState(false);
  const working = useRef(false);
  const button = useRef<HTMLButtonElement>(null);
  async function retry() {
    if (working.current) return;
    working.current = true;
    setTrying(true);
    const focused = document.activeElement === button.current;
    try {
      // After the page has drawn what loaded, which takes this button away.
      if ((await onRetry()) && focused) setTimeout(() => landing?.()?.focus());
    } finally {
      working.current = false;
      setTrying(false);
    }
  }
  return (
    <>
      {!trying && (
        <p class="error" role="alert">
          {message}
        </p>
      )}
      <button ref={button} type="button" class="secondary" aria-disabled={trying} onClick={retry}>
        Try again
      </button>
    </>
  );
}
