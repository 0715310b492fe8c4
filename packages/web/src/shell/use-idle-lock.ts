/** Locks the session after a period without keyboard, mouse or touch input. */
import { useEffect } from 'react';

/** Default idle time before the screen locks (ten minutes). */
export const IDLE_LOCK_MS = 10 * 60 * 1000;

/** Calls `lock` after `ms` of no input while `active`. */
export function useIdleLock(active: boolean, lock: () => void, ms = IDLE_LOCK_MS): void {
  useEffect(() => {
    if (!active) return;
    let timer = window.setTimeout(lock, ms);
    const reset = () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(lock, ms);
    };
    const events = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;
    for (const e of events) window.addEventListener(e, reset, { passive: true });
    return () => {
      window.clearTimeout(timer);
      for (const e of events) window.removeEventListener(e, reset);
    };
  }, [active, lock, ms]);
}
