"use client";

import { useEffect, useState } from "react";

/** `value`, once it has stayed the same for `ms` (typing settles before anything is asked of the server). */
export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
