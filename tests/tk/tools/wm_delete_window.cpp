// wm_delete_window WINDOW_ID: does what a window manager's close button does.
//
// Sends the window a WM_PROTOCOLS client message carrying WM_DELETE_WINDOW,
// the same event a window manager sends when the user clicks the close button.
// The GUI tests run under a bare Xvfb with no window manager, and xdotool
// (Debian 12's) can only destroy or kill a window, never ask it to close.
// Exit 0 when sent, 2 for a bad argument, 1 when the display or window is not there.
#include <X11/Xlib.h>

#include <cstdio>
#include <cstdlib>

namespace {

int ignore_errors(Display*, XErrorEvent*) { return 0; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: wm_delete_window WINDOW_ID\n");
    return 2;
  }
  char* end = nullptr;
  const unsigned long window = std::strtoul(argv[1], &end, 0);
  if (end == argv[1] || *end != '\0' || window == 0) {
    std::fprintf(stderr, "wm_delete_window: '%s' is not a window id\n", argv[1]);
    return 2;
  }
  Display* display = XOpenDisplay(nullptr);
  if (display == nullptr) {
    std::fprintf(stderr, "wm_delete_window: cannot open the display\n");
    return 1;
  }
  XSetErrorHandler(ignore_errors);
  XWindowAttributes attributes;
  if (XGetWindowAttributes(display, window, &attributes) == 0) {
    std::fprintf(stderr, "wm_delete_window: no window %s\n", argv[1]);
    XCloseDisplay(display);
    return 1;
  }
  XEvent event{};
  event.xclient.type = ClientMessage;
  event.xclient.window = window;
  event.xclient.message_type = XInternAtom(display, "WM_PROTOCOLS", False);
  event.xclient.format = 32;
  event.xclient.data.l[0] = static_cast<long>(XInternAtom(display, "WM_DELETE_WINDOW", False));
  event.xclient.data.l[1] = CurrentTime;
  XSendEvent(display, window, False, NoEventMask, &event);
  XSync(display, False);
  XCloseDisplay(display);
  return 0;
}
