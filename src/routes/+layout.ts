// A static SPA: rendered in the browser only, every route served by index.html.
export const ssr = false;
export const prerender = false;
