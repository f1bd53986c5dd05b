// Provided by the web build (src/node/web-server.ts): every shaders/**/*.wgsl as text, by name.
declare module 'virtual:shaders' {
  const sources: Readonly<Record<string, string>>;
  export default sources;
}
