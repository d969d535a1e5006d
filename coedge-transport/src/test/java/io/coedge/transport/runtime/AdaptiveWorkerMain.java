package io.coedge.transport.runtime;

/** A worker process for the re-planning tests: registers their model and the test models, then runs the worker. */
public final class AdaptiveWorkerMain {
    private AdaptiveWorkerMain() {
    }

    public static void main(String[] args) {
        AdaptiveSessionTest.register();
        TestWorkerMain.main(args);
    }
}
