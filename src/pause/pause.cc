// cloison-pause: the process of a pod's infra container. It holds the pod's namespaces open
// and, as PID 1 of a pod whose containers share one PID namespace, reaps the zombies
// re-parented to it. It sleeps until SIGINT or SIGTERM, then exits 0. `-v` prints the version.
// Static and libc-only (no iostreams, no C++ runtime) so it stays small.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

void Print(int fd, const char* text) {
  size_t left = strlen(text);
  while (left > 0) {
    const ssize_t n = write(fd, text, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    left -= static_cast<size_t>(n);
  }
}

void OnTerminate(int) {
  Print(STDERR_FILENO, "cloison-pause: shutting down\n");
  _exit(0);
}

void OnChild(int) {
  const int saved_errno = errno;
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  errno = saved_errno;
}

bool Handle(int signal_number, void (*handler)(int), int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = handler;
  action.sa_flags = flags;
  sigemptyset(&action.sa_mask);
  return sigaction(signal_number, &action, nullptr) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "-v") == 0) {
    Print(STDOUT_FILENO, "cloison-pause " CLOISON_VERSION "\n");
    return 0;
  }
  if (argc != 1) {
    Print(STDERR_FILENO, "usage: cloison-pause [-v]\n");
    return 2;
  }
  if (getpid() != 1) {
    Print(STDERR_FILENO, "cloison-pause: warning: not PID 1, orphans are not reaped here\n");
  }
  if (!Handle(SIGINT, OnTerminate, 0) || !Handle(SIGTERM, OnTerminate, 0) ||
      !Handle(SIGCHLD, OnChild, SA_NOCLDSTOP | SA_RESTART)) {
    Print(STDERR_FILENO, "cloison-pause: sigaction failed\n");
    return 1;
  }
  OnChild(0);  // children that exited before the handler was installed
  for (;;) pause();
}
