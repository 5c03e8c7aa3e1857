// Loaded before decap-cms.js: hiroba-cms.js starts the CMS itself, once it has registered
// the front-matter format of content/ (a file, because the CSP forbids inline script).
window.CMS_MANUAL_INIT = true;
