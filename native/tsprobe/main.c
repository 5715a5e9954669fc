/* bb-tsprobe entry point: dispatches to the server, relay and client subcommands. */
#include "tsprobe.h"

#include <stdio.h>
#include <string.h>

static int usage(void) {
  fprintf(stderr,
          "bb-tsprobe " TSP_VERSION_STR " - UDP request/response probe with SO_TIMESTAMPING\n"
          "usage: bb-tsprobe server|relay|client|tcp-client [options]   (bb-tsprobe SUBCOMMAND --help)\n"
          "       bb-tsprobe --version\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  if (strcmp(argv[1], "--version") == 0) {
    printf("bb-tsprobe %s\n", TSP_VERSION_STR);
    return 0;
  }
  /* getopt_long in the subcommand sees argv[1] as its program name. */
  if (strcmp(argv[1], "server") == 0) return cmd_server(argc - 1, argv + 1);
  if (strcmp(argv[1], "relay") == 0) return cmd_relay(argc - 1, argv + 1);
  if (strcmp(argv[1], "client") == 0) return cmd_client(argc - 1, argv + 1);
  if (strcmp(argv[1], "tcp-client") == 0) return cmd_tcp_client(argc - 1, argv + 1);
  return usage();
}
