"use client";

import { useCallback, useEffect, useState } from "react";

/** Until accounts exist, the name recorded on revisions is the one this browser remembers. */
export function useAuthor(): [string, (name: string) => void] {
  const [author, setAuthor] = useState("");
  useEffect(() => setAuthor(localStorage.getItem("fd-author") ?? ""), []);
  const save = useCallback((name: string) => {
    localStorage.setItem("fd-author", name);
    setAuthor(name);
  }, []);
  return [author, save];
}
