// Replaces swagger-ui-dist's own swagger-initializer.js for the corpus: the same configuration,
// but the spec is served by the corpus server (tests/corpus/petstore.json) instead of the internet.
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/__corpus/petstore.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: 'StandaloneLayout',
  });
};
