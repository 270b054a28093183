import express, { type Express } from "express";
import { pinoHttp } from "pino-http";
import type { Container } from "./container";
import { errorResponder, unknownRoute } from "./core/http/error-middleware";
import { jsonBody } from "./core/http/json-body";
import { REQUEST_ID_HEADER, requestId } from "./core/http/request-id";
import { corsPolicy, securityHeaders } from "./core/http/security";
import { loggableUrl } from "./core/logging/logger";
import { healthRouter } from "./modules/health/health.router";

/** Builds the HTTP application without listening, so tests and the server share it. */
export function buildApp(container: Container): Express {
  const { config, logger, services } = container;
  const app = express();

  app.disable("x-powered-by");
  app.set("trust proxy", config.http.trustProxy);

  app.use(requestId);
  app.use(
    pinoHttp({
      logger,
      // The requestId middleware has already chosen the id and set the header.
      genReqId: (_req, res) => String(res.getHeader(REQUEST_ID_HEADER)),
      customLogLevel: (_req, res, error) =>
        error !== undefined || res.statusCode >= 500 ? "error" : "info",
      serializers: {
        req: (req: { method: string; url: string; remoteAddress?: string }) => ({
          method: req.method,
          url: loggableUrl(req.url),
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(securityHeaders());
  app.use(corsPolicy(config.http.corsOrigins));
  app.use(jsonBody(config.http.jsonBodyLimit));

  app.use(healthRouter(services.health));

  app.use(unknownRoute);
  app.use(errorResponder(logger));
  return app;
}
