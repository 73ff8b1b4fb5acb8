const KIB = 1024;
const MIB = 1024 * KIB;

/** A size as people read it, the one way every message writes one: "512 bytes", "48.8 KiB", "10 MiB". */
export const formatBytes = (bytes: number): string =>
  bytes >= MIB ? `${Number((bytes / MIB).toFixed(1))} MiB` : bytes >= KIB ? `${Number((bytes / KIB).toFixed(1))} KiB` : `${bytes} bytes`;
