// Every test file starts from a test environment with quiet logs; the database
// URL and Redis prefix come from the global setup.
process.env.NODE_ENV = "test";
process.env.LOG_LEVEL ??= "silent";
process.env.HOST = "127.0.0.1";
process.env.PORT = "0";
process.env.MIGRATE_ON_START = "false";
