// Flat index of an invocation in a 1-D problem spread over a 2-D dispatch
// (dispatches are capped at 65535 workgroups per dimension; see gridFor in src/kernels/launch.ts).
fn flat_index(gid: vec3u, nwg: vec3u, wg_size: u32) -> u32 {
  return gid.x + gid.y * nwg.x * wg_size;
}
