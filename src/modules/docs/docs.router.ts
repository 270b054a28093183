import { Router } from "express";
import { getAbsoluteFSPath } from "swagger-ui-dist";
import { NotFoundError } from "../../core/errors/app-error";
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

/**
 * The files of swagger-ui-dist that PAGE loads. The rest of the package (a
 * demo page that loads a remote API description, an OAuth redirect page,
 * package.json, source maps) is not served.
 */
const ASSETS = new Set(["swagger-ui.css", "swagger-ui-bundle.js"]);

/** The OpenAPI document at /api/openapi.json and Swagger UI at /docs, served from this server alone. */
export function docsRouter({ maxPageSize }: { maxPageSize: number }): Router {
  const router = Router();
  const document = buildOpenApiDocument(maxPageSize);

  router.get("/api/openapi.json", publicAccess, (_req, res) => {
    res.json(document);
  });

  // The page and everything it loads carry its policy.
  router.use("/docs", (_req, res, next) => {
    res.setHeader("Content-Security-Policy", PAGE_POLICY);
    next();
  });

  router.get("/docs", publicAccess, (_req, res) => {
    res.type("html").send(PAGE);
  });

  router.get("/docs/init.js", publicAccess, (_req, res) => {
    res.type("js").send(INIT);
  });

  router.get("/docs/assets/:name", publicAccess, (req, res) => {
    const { name } = req.params;
    if (typeof name !== "string" || !ASSETS.has(name)) throw new NotFoundError("asset");
    res.sendFile(name, { root: getAbsoluteFSPath(), maxAge: "1d" });
  });
  return router;
}
