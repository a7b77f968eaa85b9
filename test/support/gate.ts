/**
 * A hold the test controls, for a fake Google that is "still working": the fake calls `arrive()`
 * and waits on `opened`; the test waits on `arrived`, does what must happen meanwhile, then `open()`s it.
 */
export function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let arrive = () => {};
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  return { opened, open, arrived, arrive };
}
