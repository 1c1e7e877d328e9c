// Renders the gateway's own /openapi.json. Everything is served by the gateway itself:
// no CDN, no validator badge (validatorUrl: null would otherwise call an external host).
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
};
