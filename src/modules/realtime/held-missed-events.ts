import type { LiveServer, LiveSocket } from "./realtime.protocol";

/** How long a recovering socket's missed events wait for its handshake to finish. */
const HOLD_MS = 10_000;

/**
 * Socket.IO writes a recovered socket's missed events to the wire before the
 * handshake middleware has checked the token it now presents. They are taken
 * from the restored session instead, held here, and delivered once the socket
 * has connected as the same user (an anonymous socket's, whatever it signs
 * in as); a refused handshake never sees them.
 */
export class HeldMissedEvents {
  private readonly held = new Map<
    string,
    { userId: number | null; packets: unknown[][]; expiry: NodeJS.Timeout }
  >();

  keep(socketId: string, userId: number | null, packets: unknown[][]): void {
    if (packets.length === 0) return;
    const expiry = setTimeout(() => this.held.delete(socketId), HOLD_MS);
    expiry.unref();
    this.held.set(socketId, { userId, packets, expiry });
  }

  /** Sends the socket what it missed, in order, if it is still who it was. */
  deliver(io: LiveServer, socket: LiveSocket): void {
    const entry = this.held.get(socket.id);
    if (entry === undefined) return;
    this.held.delete(socket.id);
    clearTimeout(entry.expiry);
    if (entry.userId !== null && entry.userId !== socket.data.user?.userId) return;
    // Straight to the socket: each packet already carries its stream offset.
    const direct = io.local.to(socket.id) as unknown as { emit(...packet: unknown[]): void };
    for (const packet of entry.packets) direct.emit(...packet);
  }

  clear(): void {
    for (const { expiry } of this.held.values()) clearTimeout(expiry);
    this.held.clear();
  }
}
