// Packages published only as ES modules; Jest's CommonJS runtime needs them transformed.
const esmOnly = [
  "@faker-js/faker",
  "@prisma/schema-engine-wasm",
  "jose",
  "@seriousme/openapi-schema-validator",
  // mdast-util-from-markdown and its dependencies
  "mdast-util-[a-z-]+",
  "micromark[a-z-]*",
  "unist-util-[a-z-]+",
  "decode-named-character-reference",
  "character-entities",
  "devlop",
  // marked, and its older majors installed under aliases (marked-0-3 … marked-17)
  "marked(?:-[0-9-]+)?",
  // parse5 and its dependency
  "parse5",
  "entities",
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  setupFiles: ["<rootDir>/test/setup/env.ts"],
  globalSetup: "<rootDir>/test/setup/global-setup.ts",
  globalTeardown: "<rootDir>/test/setup/global-teardown.ts",
  transform: {
    "^.+\\.(t|j|mj)s$": [
      "@swc/jest",
      {
        jsc: { target: "es2023", parser: { syntax: "typescript" } },
        module: { type: "commonjs" },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join("|")})/)`],
  // One worker: test files share this run's database and reset it between tests.
  maxWorkers: 1,
  testTimeout: 20000,
};
