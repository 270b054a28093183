import { tmpdir } from "node:os";
import path from "node:path";

// Every test file starts from a test environment with quiet logs; the database
// URL and Redis prefix come from the global setup.
process.env.NODE_ENV = "test";
process.env.LOG_LEVEL ??= "silent";
process.env.HOST = "127.0.0.1";
process.env.PORT = "0";
process.env.MIGRATE_ON_START = "false";
// Without JWT_SECRET a service makes its development secret in DATA_DIR: never the checkout.
process.env.DATA_DIR ??= path.join(tmpdir(), "conduit-test-data");
// The Redis command and query timeouts are sized for production; a test machine busy with other
// work can stall a process that long with nothing wrong, so the suite allows more. The fault
// tests set their own.
process.env.REDIS_COMMAND_TIMEOUT_MS ??= "15000";
process.env.DATABASE_STATEMENT_TIMEOUT_MS ??= "30000";
// Every test client comes from 127.0.0.1; per-IP and per-user limits are raised so that only
// the tests about limits (which set their own) ever meet them.
process.env.REGISTRATIONS_PER_IP_PER_HOUR = "100000";
process.env.REFRESHES_PER_IP_PER_MINUTE = "100000";
process.env.LOGIN_MAX_FAILURES_PER_IP = "100000";
process.env.ARTICLE_WRITES_PER_USER_PER_HOUR = "100000";
process.env.COMMENTS_PER_USER_PER_MINUTE = "100000";
process.env.FAVORITES_PER_USER_PER_MINUTE = "100000";
process.env.FOLLOWS_PER_USER_PER_MINUTE = "100000";
process.env.SOCKET_CONNECTIONS_PER_IP_PER_MINUTE = "100000";
process.env.SIGN_INS_PER_IP_PER_HOUR = "100000";
process.env.PASSWORD_CHANGES_PER_USER_PER_HOUR = "100000";
process.env.EMAIL_CHANGES_PER_USER_PER_HOUR = "100000";
