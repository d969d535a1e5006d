package io.coedge.transport.runtime;

import java.util.List;

/**
 * A program that starts one local worker, prints {@code worker-pid N}, and waits to be killed: what
 * {@link LocalWorkersTest} kills with SIGKILL to see that the worker does not outlive it.
 */
public final class LocalWorkersParentMain {
    private LocalWorkersParentMain() {
    }

    public static void main(String[] args) throws Exception {
        LocalWorkers workers = LocalWorkers.start(1, null, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"));
        System.out.println("worker-pid " + workers.process(0).pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
