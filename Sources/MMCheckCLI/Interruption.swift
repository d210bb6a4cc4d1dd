import Explorer

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Ctrl-C and SIGTERM: the first one asks the running search to stop after the state it
/// is expanding (it then prints the statistics so far and exits 3, "interrupted"); a second
/// one ends the process at once, with exit 3.
///
/// A signal handler can reach only global state, so the request it sets is this one
/// process-wide value; it is created before the handlers are installed, so the handler
/// never initialises anything.
enum Interruption {
    static let request = StopRequest()

    /// Installs the handlers for SIGINT and SIGTERM (once, from `main`).
    static func install() {
        _ = request.isRequested
        var action = sigaction()
        #if canImport(Glibc)
            action.__sigaction_handler.sa_handler = Interruption.handle
        #else
            action.__sigaction_u.__sa_handler = Interruption.handle
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A parent may have started us with these blocked (the mask is inherited): unblock them.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    private static let handle: @convention(c) (Int32) -> Void = { _ in
        // Only async-signal-safe calls here: an atomic, write(2) of static text, _exit.
        if Interruption.request.isRequested {
            let message: StaticString = "\nmmcheck: interrupted again: exiting now, without statistics\n"
            _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
            _exit(3)  // CommandLineTool.ExitCode.incomplete
        }
        Interruption.request.request()
        let message: StaticString =
            "\nmmcheck: interrupted: stopping after the current state (interrupt again to exit at once)\n"
        _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
    }
}
