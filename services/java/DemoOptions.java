// What the Java demo services share (JsonUdpService, JsonTcpService): their command-line options
// and the forced collections at known times. No tracing code.
import java.net.InetSocketAddress;

final class DemoOptions {
  String bind = "0.0.0.0";
  int port = 0, allocKb = 0, retain = 64;
  long gcEveryMs = 0, crashAfter = 0;
  /** --forward IP:PORT: the next service of a chain, or null. */
  InetSocketAddress forward = null;
  /** --forward as given (IP:PORT). */
  String forwardSpec = null;

  /** Parses the options of service `name`; exits 2 with the usage on a bad one. */
  static DemoOptions parse(String name, String[] args) {
    DemoOptions o = new DemoOptions();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) usage(name, "missing value after " + a);
      String v = args[++i];
      switch (a) {
        case "--bind" -> o.bind = v;
        case "--port" -> o.port = Integer.parseInt(v);
        case "--alloc-kb" -> o.allocKb = Integer.parseInt(v);
        case "--retain" -> o.retain = Integer.parseInt(v);
        case "--gc-every-ms" -> o.gcEveryMs = Long.parseLong(v);
        case "--forward" -> {
          o.forwardSpec = v;
          int colon = v.lastIndexOf(':');
          o.forward = new InetSocketAddress(v.substring(0, colon), Integer.parseInt(v.substring(colon + 1)));
        }
        case "--crash-after" -> o.crashAfter = Long.parseLong(v);
        default -> usage(name, "unknown option " + a);
      }
    }
    if (o.port <= 0 || o.port > 65535) usage(name, "--port must be 1..65535");
    return o;
  }

  /** A full collection every gcEveryMs (if set), at known times: tests check that the runtime's log shows it. */
  void startForcedGc() {
    if (gcEveryMs <= 0) return;
    final long every = gcEveryMs;
    Thread t = new Thread(() -> {
      for (;;) {
        try {
          Thread.sleep(every);
        } catch (InterruptedException e) {
          return;
        }
        System.gc();
      }
    }, "forced-gc");
    t.setDaemon(true);
    t.start();
  }

  static void usage(String name, String why) {
    System.err.println(name + ": " + why);
    System.err.println("usage: " + name + " --bind IP --port P [--alloc-kb N] [--retain N] [--gc-every-ms MS] [--forward IP:PORT] [--crash-after N]");
    System.exit(2);
  }
}
