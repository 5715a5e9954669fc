// The TCP mode of the Java demo service (issue 15): the same work as JsonUdpService (decode the
// JSON request, allocate garbage at a configurable rate so G1 really collects, serialize a JSON
// reply) over persistent TCP connections, one thread per connection, plain blocking channels. It
// knows nothing about tracing. Each connection's framing is taken from its first byte:
//   header: bb-tsprobe's 24-byte header (body_len at bytes 16-17, little endian) + JSON body;
//           the reply is a REP header with the request's seq + JSON body.
//   ndjson: one JSON object per line ("{"…); the reply line echoes every field (so its "id") plus "result".
// With --forward it is the front of a two-service chain: each connection opens its own connection
// to the next service, passes every request on and answers with its reply.
//
// java -XX:+UseG1GC -cp BUILD JsonTcpService --bind IP --port P [--alloc-kb N] [--retain N]
//      [--gc-every-ms MS] [--forward IP:PORT] [--crash-after N]
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

public final class JsonTcpService {
  static final int MAGIC = 0x53544242; // "BBTS" little endian
  static final int HDR = 24;
  static final int REQ = 1, REP = 2;

  static int allocKb = 0, retain = 64;
  static long crashAfter = 0;
  static InetSocketAddress forward = null;
  static final AtomicLong served = new AtomicLong();
  static byte[][] kept;

  public static void main(String[] args) throws IOException {
    DemoOptions o = DemoOptions.parse("JsonTcpService", args);
    String bind = o.bind;
    int port = o.port;
    allocKb = o.allocKb;
    retain = o.retain;
    crashAfter = o.crashAfter;
    forward = o.forward;
    kept = new byte[Math.max(1, retain)][];
    o.startForcedGc();
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress(bind, port));
    System.out.println("listening tcp " + bind + ":" + port + (forward != null ? " forwarding to " + forward : ""));
    System.out.flush();
    for (;;) {
      SocketChannel ch = server.accept();
      Thread t = new Thread(() -> serve(ch), "conn-" + ch.socket().getPort());
      t.setDaemon(true);
      t.start();
    }
  }

  static void serve(SocketChannel ch) {
    try (ch) {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      SocketChannel next = null;
      if (forward != null) {
        next = SocketChannel.open(forward);
        next.setOption(StandardSocketOptions.TCP_NODELAY, true);
      }
      ByteBuffer in = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      ByteBuffer back = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      for (;;) {
        if (ch.read(in) < 0) return;
        in.flip();
        int frame;
        while ((frame = frameLength(in)) > 0) {
          byte[] req = new byte[frame];
          in.get(req);
          ByteBuffer reply;
          if (next != null) {
            // The hop: the request goes to the next service as it came; its reply comes back unchanged.
            next.write(ByteBuffer.wrap(req));
            reply = readFrame(next, back);
            if (reply == null) return;
          } else {
            reply = handle(req);
            if (reply == null) continue;
          }
          while (reply.hasRemaining()) ch.write(reply);
          long n = served.incrementAndGet();
          if (crashAfter > 0 && n >= crashAfter && forward == null) {
            System.err.println("crashing on purpose after " + n + " requests (--crash-after)");
            Runtime.getRuntime().halt(70);
          }
        }
        if (frame < 0) {
          System.err.println("JsonTcpService: a request that is neither a bb-tsprobe header frame nor a JSON line; closing the connection");
          return;
        }
        in.compact();
        if (!in.hasRemaining()) {
          System.err.println("JsonTcpService: a request larger than 64 KiB; closing the connection");
          return;
        }
      }
    } catch (IOException e) {
      // The client went away: nothing to answer.
    }
  }

  /** Bytes of the complete frame at the buffer's position; 0 = incomplete, -1 = not a frame. */
  static int frameLength(ByteBuffer b) {
    int p = b.position(), avail = b.remaining();
    if (avail == 0) return 0;
    if (b.get(p) == '{') {
      for (int i = 0; i < avail; i++) if (b.get(p + i) == '\n') return i + 1;
      return 0;
    }
    if (avail < HDR) return 0;
    if (b.getInt(p) != MAGIC) return -1;
    int len = HDR + Short.toUnsignedInt(b.getShort(p + 16));
    return avail >= len ? len : 0;
  }

  /** One whole reply frame from the downstream service (its bytes may come in several reads). */
  static ByteBuffer readFrame(SocketChannel next, ByteBuffer back) throws IOException {
    for (;;) {
      back.flip();
      int len = frameLength(back);
      if (len > 0) {
        byte[] out = new byte[len];
        back.get(out);
        back.compact();
        return ByteBuffer.wrap(out);
      }
      back.compact();
      if (len < 0 || next.read(back) < 0) return null;
    }
  }

  static ByteBuffer handle(byte[] req) {
    boolean line = req[0] == '{';
    String text = line ? new String(req, 0, req.length - 1, StandardCharsets.UTF_8) : new String(req, HDR, req.length - HDR, StandardCharsets.UTF_8);
    Map<String, Object> obj;
    try {
      obj = new JsonUdpService.Json(text).object();
    } catch (RuntimeException e) {
      System.err.println("JsonTcpService: bad request: " + e.getMessage());
      return null;
    }
    // Garbage at the configured rate, part of it kept for a while so some survives a young collection.
    if (allocKb > 0) kept[(int) (served.get() % kept.length)] = new byte[allocKb * 1024];
    Map<String, Object> rep = new LinkedHashMap<>(obj);
    rep.put("result", obj.size());
    byte[] body = JsonUdpService.Json.write(rep).getBytes(StandardCharsets.UTF_8);
    if (line) {
      ByteBuffer out = ByteBuffer.allocate(body.length + 1);
      out.put(body).put((byte) '\n').flip();
      return out;
    }
    ByteBuffer in = ByteBuffer.wrap(req).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer out = ByteBuffer.allocate(HDR + body.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(MAGIC).put((byte) 1).put((byte) REP).put(in.get(6)).put((byte) 0);
    out.putLong(in.getLong(8)).putShort((short) body.length).putShort((short) 0).putInt(0);
    out.put(body).flip();
    return out;
  }

}
