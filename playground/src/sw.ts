/**
 * The playground's service worker: on install it caches every file of the
 * site (files.json, written by the build), and it answers from the network
 * when it can (so a rebuilt site is seen at once) and from that cache when it
 * cannot, so the page, its workers, Graphviz and the wasm binaries all work
 * offline once the page has loaded.
 */
const CACHE = "mtl-playground";
const sw = self as unknown as {
  addEventListener(type: "install" | "activate", listener: (event: { waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: "fetch", listener: (event: { request: Request; respondWith(r: Promise<Response>): void }) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
};

sw.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const files = (await (await fetch("files.json", { cache: "no-cache" })).json()) as Record<string, number>;
      const cache = await caches.open(CACHE);
      await cache.addAll(["./", "files.json", ...Object.keys(files)]);
      await sw.skipWaiting();
    })(),
  );
});

sw.addEventListener("activate", (event) => event.waitUntil(sw.clients.claim()));

sw.addEventListener("fetch", (event) => {
  if (event.request.method !== "GET") return;
  event.respondWith(
    (async () => {
      try {
        const response = await fetch(event.request);
        if (response.ok && new URL(event.request.url).origin === location.origin) {
          const copy = response.clone();
          void caches.open(CACHE).then((cache) => cache.put(event.request, copy));
        }
        return response;
      } catch (error) {
        const cached = await caches.match(event.request, { ignoreSearch: true });
        if (cached) return cached;
        throw error;
      }
    })(),
  );
});
