// A small, ordinary Java UDP service for bypassbench's service attribution (issue 15). It knows
// nothing about tracing: it receives requests in bb-tsprobe's framing (24-byte header + JSON
// body), decodes the JSON, allocates garbage at a configurable rate so that G1 really collects,
// builds and serializes a JSON response and replies. With --forward it is the front of a
// two-service chain: it passes each request to the next service and answers with its reply.
//
// java -XX:+UseG1GC -cp BUILD JsonUdpService --bind IP --port P [--alloc-kb N] [--retain N]
//      [--gc-every-ms MS] [--forward IP:PORT] [--crash-after N]
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class JsonUdpService {
  static final int MAGIC = 0x53544242; // "BBTS" little endian
  static final int HDR = 24;
  static final int REQ = 1, REP = 2, FLUSH = 3, FLUSH_REP = 4;

  public static void main(String[] args) throws IOException {
    DemoOptions o = DemoOptions.parse("JsonUdpService", args);
    String bind = o.bind;
    int port = o.port, allocKb = o.allocKb, retain = o.retain;
    long crashAfter = o.crashAfter;
    o.startForcedGc();
    DatagramChannel ch = DatagramChannel.open();
    ch.bind(new InetSocketAddress(bind, port));
    DatagramChannel next = null;
    InetSocketAddress nextAddr = null;
    InetSocketAddress forward = o.forward;
    if (forward != null) {
      // Unconnected send/receive (sendto/recvfrom), like the client-facing socket.
      nextAddr = forward;
      next = DatagramChannel.open();
    }
    System.out.println("listening " + bind + ":" + port + (forward != null ? " forwarding to " + o.forwardSpec : ""));
    System.out.flush();
    ByteBuffer in = ByteBuffer.allocateDirect(9000).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer out = ByteBuffer.allocateDirect(9000).order(ByteOrder.LITTLE_ENDIAN);
    byte[][] kept = new byte[Math.max(1, retain)][];
    long served = 0;
    for (;;) {
      in.clear();
      InetSocketAddress from = (InetSocketAddress) ch.receive(in);
      in.flip();
      if (in.remaining() < HDR || in.getInt(0) != MAGIC) continue;
      int type = in.get(5);
      out.clear();
      if (type == FLUSH) {
        out.put(in.duplicate().limit(HDR));
        out.put(5, (byte) FLUSH_REP);
        out.put(7, (byte) 0);
        out.flip();
        ch.send(out, from);
        continue;
      }
      if (type != REQ) continue;
      if (next != null) {
        // The hop: the whole request goes to the next service; its reply goes back unchanged.
        next.send(in, nextAddr);
        next.receive(out);
        out.flip();
        ch.send(out, from);
      } else {
        int bodyLen = Short.toUnsignedInt(in.getShort(16));
        byte[] body = new byte[Math.min(bodyLen, in.remaining() - HDR)];
        in.position(HDR);
        in.get(body);
        Map<String, Object> req;
        try {
          req = new Json(new String(body, StandardCharsets.UTF_8)).object();
        } catch (RuntimeException e) {
          System.err.println("JsonUdpService: bad request from " + from + ": " + e.getMessage());
          continue;
        }
        // Garbage at the configured rate, part of it kept for a while so some of it survives a young collection.
        if (allocKb > 0) kept[(int) (served % kept.length)] = new byte[allocKb * 1024];
        Map<String, Object> rep = new LinkedHashMap<>(req);
        rep.put("result", req.size());
        byte[] reply = Json.write(rep).getBytes(StandardCharsets.UTF_8);
        out.putInt(MAGIC).put((byte) 1).put((byte) REP).put(in.get(6)).put((byte) 0);
        out.putLong(in.getLong(8)).putShort((short) reply.length).putShort((short) 0).putInt(0);
        out.put(reply);
        out.flip();
        ch.send(out, from);
      }
      served++;
      if (crashAfter > 0 && served >= crashAfter) {
        System.err.println("crashing on purpose after " + served + " requests (--crash-after)");
        Runtime.getRuntime().halt(70);
      }
    }
  }


  /** A minimal JSON reader/writer for flat objects of strings, numbers, booleans and null. */
  static final class Json {
    private final String s;
    private int i;

    Json(String s) {
      this.s = s;
    }

    Map<String, Object> object() {
      Map<String, Object> m = new LinkedHashMap<>();
      ws();
      expect('{');
      ws();
      if (peek() == '}') {
        i++;
        return m;
      }
      for (;;) {
        ws();
        String k = string();
        ws();
        expect(':');
        ws();
        m.put(k, value());
        ws();
        char c = s.charAt(i++);
        if (c == '}') return m;
        if (c != ',') throw new IllegalArgumentException("expected , or } at " + (i - 1));
      }
    }

    private Object value() {
      char c = peek();
      if (c == '"') return string();
      if (c == '{') return object();
      if (s.startsWith("true", i)) {
        i += 4;
        return Boolean.TRUE;
      }
      if (s.startsWith("false", i)) {
        i += 5;
        return Boolean.FALSE;
      }
      if (s.startsWith("null", i)) {
        i += 4;
        return null;
      }
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
      String num = s.substring(start, i);
      if (num.isEmpty()) throw new IllegalArgumentException("bad value at " + start);
      return num.contains(".") || num.contains("e") || num.contains("E") ? (Object) Double.parseDouble(num) : (Object) Long.parseLong(num);
    }

    private String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      for (;;) {
        char c = s.charAt(i++);
        if (c == '"') return b.toString();
        if (c == '\\') {
          char e = s.charAt(i++);
          switch (e) {
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case 'u' -> {
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
              i += 4;
            }
            default -> b.append(e);
          }
        } else b.append(c);
      }
    }

    private void ws() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private char peek() {
      return s.charAt(i);
    }

    private void expect(char c) {
      if (s.charAt(i++) != c) throw new IllegalArgumentException("expected " + c + " at " + (i - 1));
    }

    static String write(Map<String, Object> m) {
      StringBuilder b = new StringBuilder("{");
      List<String> parts = new ArrayList<>();
      for (Map.Entry<String, Object> e : m.entrySet()) parts.add(quote(e.getKey()) + ":" + literal(e.getValue()));
      b.append(String.join(",", parts));
      return b.append('}').toString();
    }

    private static String literal(Object v) {
      if (v == null) return "null";
      if (v instanceof String str) return quote(str);
      if (v instanceof Map<?, ?> mm) {
        @SuppressWarnings("unchecked")
        Map<String, Object> sub = (Map<String, Object>) mm;
        return write(sub);
      }
      return v.toString();
    }

    private static String quote(String v) {
      return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
  }
}
