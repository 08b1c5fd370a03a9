// Starts Swagger UI on /docs. A file, not an inline script: the site's Content-Security-Policy
// runs only scripts served by the site. The schema's address is on this script's own tag.
(function () {
  "use strict";
  const tag = document.currentScript;
  window.ui = SwaggerUIBundle({
    url: tag.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null, // the default badge is an image from validator.swagger.io
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
