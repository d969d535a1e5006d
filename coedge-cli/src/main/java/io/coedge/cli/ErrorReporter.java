package io.coedge.cli;

import io.coedge.graph.ModelException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * Turns an exception into one line on stderr and an exit code: 2 for problems with the user's input
 * (model, files, options), 1 for anything else. The stack trace is shown only when asked for
 * ({@code --verbose} or {@code COEDGE_DEBUG=1}) because users cannot act on it.
 */
final class ErrorReporter {
    static final String PREFIX = "coedge: error: ";
    static final int USAGE = 2;
    static final int INTERNAL = 1;

    private ErrorReporter() {
    }

    /** Whether stack traces were asked for through the environment. */
    static boolean debugFromEnvironment() {
        String v = System.getenv("COEDGE_DEBUG");
        return v != null && !v.isBlank() && !v.equals("0") && !v.equalsIgnoreCase("false");
    }

    static int report(Throwable t, PrintWriter err, boolean verbose) {
        int code;
        String message;
        Throwable cause = t instanceof UncheckedIOException u && u.getCause() != null ? u.getCause() : t;
        if (cause instanceof UserError || cause instanceof ModelException || cause instanceof IllegalArgumentException) {
            code = USAGE;
            message = messageOf(cause);
        } else if (cause instanceof NoSuchFileException e) {
            code = USAGE;
            message = "file not found: " + e.getFile();
        } else if (cause instanceof AccessDeniedException e) {
            code = USAGE;
            message = "permission denied: " + e.getFile();
        } else if (cause instanceof FileNotFoundException || cause instanceof IOException) {
            code = USAGE;
            message = messageOf(cause);
        } else if (cause instanceof OutOfMemoryError) {
            code = INTERNAL;
            message = "out of memory (" + messageOf(cause) + "); give the JVM more heap, e.g. JAVA_OPTS=-Xmx4g";
        } else {
            code = INTERNAL;
            message = "unexpected " + cause.getClass().getSimpleName() + ": " + messageOf(cause)
                    + (verbose ? "" : " (run with --verbose or COEDGE_DEBUG=1 for the stack trace)");
        }
        err.println(PREFIX + message);
        if (verbose) {
            t.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    private static String messageOf(Throwable t) {
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }
}
