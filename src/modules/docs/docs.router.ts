import express, { Router } from "express";
import { getAbsoluteFSPath } from "swagger-ui-dist";
import { publicAccess } from "../../core/http/route-access";
import { buildOpenApiDocument } from "./openapi-document";

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Conduit API</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#ui", deepLinking: true });\n`;

/** Swagger UI allows its own inline styles; scripts only from this server. */
const PAGE_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The OpenAPI document at /api/openapi.json and Swagger UI at /docs, served from this server alone. */
export function docsRouter({ maxPageSize }: { maxPageSize: number }): Router {
  const router = Router();
  const document = buildOpenApiDocument(maxPageSize);

  router.get("/api/openapi.json", publicAccess, (_req, res) => {
    res.json(document);
  });

  router.get("/docs", publicAccess, (_req, res) => {
    res.setHeader("Content-Security-Policy", PAGE_POLICY);
    res.type("html").send(PAGE);
  });

  router.get("/docs/init.js", publicAccess, (_req, res) => {
    res.type("js").send(INIT);
  });

  router.use("/docs/assets", express.static(getAbsoluteFSPath(), { index: false, maxAge: "1d" }));
  return router;
}
