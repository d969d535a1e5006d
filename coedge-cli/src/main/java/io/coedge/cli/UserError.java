package io.coedge.cli;

/**
 * Something the user can fix (a missing file, an unreadable image, a raw input of the wrong size).
 * The message is shown as is after {@code coedge: error: }; exit code 2.
 */
final class UserError extends RuntimeException {
    UserError(String message) {
        super(message);
    }

    UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
