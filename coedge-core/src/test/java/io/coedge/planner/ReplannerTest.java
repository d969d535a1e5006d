package io.coedge.planner;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReplannerTest {
    private static final LayerCostTable VGG = TestTables.vgg16();

    /** Counters of a simulated cluster: each present device reports its true rate times a jitter. */
    static final class Simulated implements LiveCounters {
        final Map<String, DeviceProfile> profiles = new LinkedHashMap<>();
        final Map<String, Double> trueScale = new LinkedHashMap<>();
        final Random rnd = new Random(42);
        double jitter;
        Replanner replanner;

        void add(DeviceProfile d) {
            profiles.put(d.name(), d);
            trueScale.put(d.name(), 1.0);
        }

        @Override
        public List<Sample> read() {
            List<Sample> out = new ArrayList<>();
            for (var e : trueScale.entrySet()) {
                String name = e.getKey();
                boolean hasRows = replanner == null || replanner.current().rowsOf(name) > 0;
                if (!hasRows) {
                    out.add(Sample.unmeasured(name));
                    continue;
                }
                double noise = 1 + jitter * (2 * rnd.nextDouble() - 1);
                double rate = replanner == null ? Double.NaN
                        : replanner.effectiveRate(profiles.get(name)) * e.getValue() * noise;
                out.add(new Sample(name, rate, Double.NaN));
            }
            return out;
        }
    }

    private static Simulated cluster() {
        Simulated s = new Simulated();
        s.add(DeviceProfiles.preset("rpi4b").withName("a"));
        s.add(DeviceProfiles.preset("jetson-nano").withName("b"));
        s.add(DeviceProfiles.preset("rpi4b").withName("c"));
        s.add(DeviceProfiles.preset("jetson-tx2").withName("d"));
        return s;
    }

    private static Replanner start(Simulated s, Replanner.Config config) {
        Replanner r = new Replanner(VGG, s.profiles, "a", s, config);
        s.replanner = r;
        return r;
    }

    @Test
    void rowsMoveAwayFromADeviceWhoseRateHalvesWithinTheHysteresisWindow() {
        Simulated s = cluster();
        Replanner r = start(s, Replanner.Config.defaults(Planner.Objective.LATENCY, 100));
        for (int i = 0; i < 5; i++) {
            r.beginInference();
            assertThat(r.tick()).isFalse();
        }
        int before = r.current().rowsOf("d");
        assertThat(before).isPositive();
        s.trueScale.put("d", 0.5);
        int switchedAt = -1;
        for (int t = 1; t <= 10 && switchedAt < 0; t++) {
            r.beginInference();
            if (r.tick()) {
                switchedAt = t;
            }
        }
        assertThat(switchedAt).as("ticks until re-plan").isBetween(3, 10);
        assertThat(r.latest().rowsOf("d")).isLessThan(before);
        assertThat(r.latest().version()).isEqualTo(2);
        assertThat(r.rateEstimate("d")).isLessThan(0.75);
    }

    @Test
    void jitterOfTenPercentDoesNotFlapPlans() {
        for (Planner.Objective objective : Planner.Objective.values()) {
            Simulated s = cluster();
            s.jitter = 0.10;
            double deadline = 1.3 * new Planner(new CostModel(VGG, new DeviceProfiles.Cluster(
                    new ArrayList<>(s.profiles.values()), "a"))).latencyMinimal(Double.POSITIVE_INFINITY).latencySeconds();
            Replanner r = start(s, Replanner.Config.defaults(objective, deadline));
            for (int i = 0; i < 200; i++) {
                r.beginInference();
                r.tick();
            }
            assertThat(r.latest().version()).as(objective + ": plans published under jitter").isEqualTo(1);
        }
    }

    @Test
    void aDeviceLeavingOrJoiningTriggersAReplan() {
        Simulated s = cluster();
        Replanner r = start(s, Replanner.Config.defaults(Planner.Objective.LATENCY, 100));
        r.beginInference();
        assertThat(r.current().devices()).containsExactly("a", "b", "c", "d");
        s.trueScale.remove("d");
        assertThat(r.tick()).isTrue();
        assertThat(r.latest().devices()).containsExactly("a", "b", "c");
        assertThat(r.latest().reason()).contains("membership");
        s.trueScale.put("d", 1.0);
        assertThat(r.tick()).isTrue();
        assertThat(r.latest().devices()).contains("d");
        assertThat(r.latest().rowsOf("d")).isPositive();
        assertThat(r.latest().version()).isEqualTo(3);
    }

    @Test
    void aNewPlanTakesEffectOnlyAtTheNextInference() {
        Simulated s = cluster();
        Replanner r = start(s, Replanner.Config.defaults(Planner.Objective.LATENCY, 100));
        Replanner.PlanVersion running = r.beginInference();
        s.trueScale.remove("c");
        assertThat(r.tick()).isTrue();
        assertThat(r.current()).isSameAs(running);
        assertThat(r.latest().version()).isEqualTo(running.version() + 1);
        assertThat(r.beginInference().version()).isEqualTo(running.version() + 1);
        assertThat(r.current().devices()).doesNotContain("c");
    }
}
