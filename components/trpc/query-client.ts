import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { handleSessionProblem, retryable } from "./auth-redirect";

export function makeQueryClient() {
  return new QueryClient({
    // Any call that finds the session gone (or a one-time password still to change) sends the user where they can fix it.
    queryCache: new QueryCache({ onError: handleSessionProblem }),
    mutationCache: new MutationCache({ onError: handleSessionProblem }),
    defaultOptions: {
      queries: { staleTime: 10_000, refetchOnWindowFocus: false, retry: (count, e) => count < 1 && retryable(e) },
    },
  });
}
