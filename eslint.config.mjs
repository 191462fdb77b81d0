// ESLint (flat config): the recommended rules, plus no use of a name before its declaration,
// for the page's modules, its service worker and the Node tools. `make lint` and `make test`
// run it.
import js from "@eslint/js";
import globals from "globals";

export default [
  js.configs.recommended,
  { rules: { "no-use-before-define": ["error", { functions: false }] } },
  {
    files: ["web/**/*.js"],
    languageOptions: { sourceType: "module", globals: globals.browser },
  },
  {
    files: ["web/sw.js"],
    languageOptions: { sourceType: "script", globals: globals.serviceworker },
  },
  {
    files: ["tools/**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
];
