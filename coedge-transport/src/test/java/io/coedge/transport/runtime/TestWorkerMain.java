package io.coedge.transport.runtime;

/** A worker process for tests: registers the test models, then runs {@link WorkerMain}. */
public final class TestWorkerMain {
    private TestWorkerMain() {
    }

    public static void main(String[] args) {
        TestModels.registerAll();
        WorkerMain.main(args);
    }
}
