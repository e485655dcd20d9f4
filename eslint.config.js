// ESLint flat config (`npm run lint`): typescript-eslint's type-checked recommended rules on src/ and test/, and a
// JSDoc comment required on every exported function and class of src/. Chosen to be strict where the code complies:
// - non-null assertions stay allowed: `noUncheckedIndexedAccess` (tsconfig.json) makes `a[i]!` the zero-cost way to
//   read typed arrays in the numeric loops;
// - tests may handle untyped JSON (`any`) freely: the no-unsafe-* family is off under test/; commander's untyped
//   action options make three of them off under src/cli/.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import jsdoc from "eslint-plugin-jsdoc";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "results/**", "coverage/**", "**/*.d.ts", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  {
    files: ["**/*.ts", "**/*.mts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: ["./tsconfig.eslint.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Async methods that implement an async interface without awaiting are normal here (runners, CLI actions).
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-non-null-assertion": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ["src/**/*.ts"],
    plugins: { jsdoc },
    rules: {
      "jsdoc/require-jsdoc": [
        "error",
        {
          publicOnly: true,
          require: { FunctionDeclaration: true, ClassDeclaration: true, MethodDefinition: false, ArrowFunctionExpression: true },
          checkConstructors: false,
        },
      ],
    },
  },
  {
    // commander hands an action its options untyped (`any`); a typed interface per command is welcome but not forced
    files: ["src/cli/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
    },
  },
  {
    files: ["test/**/*.ts", "test/**/*.mts", "vitest.config.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true, allowBoolean: true, allowArray: true, allowNullish: true }],
    },
  },
);
