package io.coedge.transport.runtime;

import io.coedge.exec.Executor;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Random;

/**
 * Coordinator for the testbed test: deploys the tiny test model to every worker of a cluster file, runs one
 * inference on each, compares with one device, prints "smoke ok" and exits 0 (1 on any difference).
 */
public final class ClusterSmoke {
    private ClusterSmoke() {
    }

    public static void main(String[] args) {
        TestModels.registerAll();
        ClusterConfig cfg = ClusterConfig.read(Path.of(args[0]));
        try (CoEdgeCluster cluster = CoEdgeCluster.connect(cfg); Arena arena = Arena.ofConfined()) {
            float[] v = new float[3 * 20 * 16];
            Random r = new Random(5);
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            Tensor in = Tensor.fromLogical(arena, v, 1, 3, 20, 16);
            float[] want = Executor.reference(TestModels.tiny()).run(arena, in).toLogicalArray();
            for (String w : cluster.workers()) {
                CoEdgeSession s = cluster.deploy(ModelSpec.registered(TestModels.TINY), w);
                float[] got = s.infer(arena, in).toLogicalArray();
                float max = 0;
                float diff = 0;
                for (int i = 0; i < want.length; i++) {
                    max = Math.max(max, Math.abs(want[i]));
                    diff = Math.max(diff, Math.abs(got[i] - want[i]));
                }
                if (diff > 1e-5f * max) {
                    System.out.println("worker " + w + " differs from one device by " + diff);
                    System.exit(1);
                }
                System.out.println("worker " + w + " ok");
            }
        }
        System.out.println("smoke ok");
    }
}
