// Type-checked lint rules, plus the import boundaries that keep the engine reusable by the CLI and tests.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

const uiAndApi = ["**/app/**", "~/app/**", "**/components/**", "~/components/**", "**/api/**", "~/server/api/**", "react", "react-dom", "next", "next/*", "@trpc/*", "@tanstack/*", "socket.io*"];
const pureCore = {
  patterns: [{ group: uiAndApi, message: "server/engine, server/inventory and server/transports are plain TypeScript: no Next.js, React or API-layer imports." }],
};

export default tseslint.config(
  { ignores: ["node_modules/", ".next/", "dist/", "data/", "test-results/", "playwright-report/", "e2e/artifacts/", "bench/out/", "next-env.d.ts", "db/migrations/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "it", "describe", "suite", "before", "after", "beforeEach", "afterEach"] }] },
      ],
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    files: ["server/inventory/**", "server/engine/**", "server/transports/**", "server/template/**", "server/ansible/**"],
    rules: { "no-restricted-imports": ["error", pureCore], "no-console": "error" },
  },
  {
    // The template language is a leaf library: the site model and the engine use it, it uses nothing of ours.
    files: ["server/template/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [...pureCore.patterns, { group: ["../*", "~/*"], message: "server/template imports nothing of Flightdeck's (it is a leaf the model and the engine share)." }] }],
    },
  },
  {
    // Domain errors are told apart by code (errorCode/isNamed in server/errors.ts): the custom server and Next's
    // bundle each have their own copy of every class, so instanceof between them is silently false.
    files: ["server/**", "app/**", "components/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "BinaryExpression[operator='instanceof'][right.name=/^(FlightdeckError|InvalidInputError|UnauthorizedError|ForbiddenError|NotFoundError|ConflictError|PreconditionFailedError|PayloadTooLargeError|TooManyRequestsError|PlanError|SiteNotFoundError|SecretsError|NotEncryptedError|NoIdentityError|PassphraseError|DecryptError|MacMismatchError|UnsupportedValueError|MissingKeyError|KeyFormatError)$/]",
          message: "Recognise Flightdeck errors with errorCode(e) or isNamed(e, name) from server/errors.ts, not instanceof (class identity differs between module graphs).",
        },
      ],
    },
  },
  {
    // Test harnesses (the MAAS simulator, the ssh fleet, e2e helpers) never ship: product code may not import them.
    // The typescript-eslint twin of no-restricted-imports, so it adds to the boundary rules above instead of
    // replacing them for the same files.
    files: ["server/**", "app/**", "components/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        { patterns: [{ group: ["**/test", "**/test/**", "**/e2e", "**/e2e/**", "!@playwright/test"], message: "Product code may not import test/ or e2e/ modules." }] },
      ],
    },
  },
  {
    files: ["server/cli/**"],
    // `flightdeck worker` and `flightdeck migrate` are server commands that bin/flightdeck.mjs starts from the sources,
    // not part of the bundled CLI.
    ignores: ["server/cli/worker.ts", "server/cli/migrate.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [...pureCore.patterns, { group: ["../store/*", "../db", "../services", "../main", "../api/*"], message: "The CLI uses only the engine and the site model." }] },
      ],
    },
  },
  {
    files: ["components/**", "app/**/*.tsx"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          // Browser code may import exactly three pure engine modules (the run tracker, the event types, durations in words),
          // and which site files are documents or Ansible content (server/inventory/site-files).
          // Patterns follow gitignore rules: re-including a file needs its folder re-included, so the folder's
          // own index is forbidden by name below.
          paths: [
            { name: "~/server/engine", allowTypeImports: true, message: "Import ~/server/engine/tracker, ~/server/engine/events or ~/server/engine/duration; the engine's index pulls in transports." },
            { name: "~/server/inventory", allowTypeImports: true, message: "Import ~/server/inventory/site-files; the site model's index pulls in Node modules." },
          ],
          patterns: [
            { group: ["~/server/*", "!~/server/api", "!~/server/broadcaster", "!~/server/engine", "~/server/engine/*", "!~/server/engine/tracker", "!~/server/engine/events", "!~/server/engine/duration", "!~/server/inventory", "~/server/inventory/*", "!~/server/inventory/site-files"], allowTypeImports: true, message: "Browser code reaches the server through tRPC; import server modules as types only." },
          ],
        },
      ],
    },
  },
);
