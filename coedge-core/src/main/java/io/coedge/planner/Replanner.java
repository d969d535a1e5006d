package io.coedge.planner;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Keeps a plan current as conditions change: reads {@link LiveCounters} between inferences, smooths each
 * device's measured compute rate and link bandwidth (EWMA of measured over profiled), and re-plans when
 * the predicted gain is worth it.
 *
 * <p><b>Hysteresis.</b> A new plan is published only when re-planning under the smoothed estimates would
 * improve the objective (energy, or latency) by more than {@link Config#gainThreshold} (or the current
 * plan would miss the deadline by more than that fraction), on {@link Config#confirmTicks} consecutive
 * ticks. Smoothing absorbs jitter; the threshold and the confirmation absorb what smoothing lets through,
 * so rates that wobble by +-10% do not flip plans back and forth. A device joining or leaving re-plans at
 * once.
 *
 * <p><b>Devices without rows.</b> A device with no rows is not measured. Its estimates drift back toward its
 * profile, halving their distance to it every {@link Config#recoveryHalfLifeTicks} ticks, so that a device
 * dropped while it was slow (a board busy with something else for a while) is given rows again and measured
 * anew, instead of being judged by its worst moment for good. The first measurement after a drift of more
 * than {@link Config#gainThreshold} replaces the drifted guess instead of being smoothed into it. If it is not
 * clearly better than the device's last measurement before the drift (under halfway to the guess), that
 * device's half-life doubles, up to {@value #MAX_RECOVERY_DOUBLINGS} times, so that a device which stays slow
 * is tried ever more rarely; a device found as fast as guessed (within the gain threshold) is back on the
 * configured half-life. The half-life counts ticks: call {@link #tick()} once per inference, as
 * {@code AdaptiveSession} does.
 *
 * <p><b>Versions.</b> {@link #tick()} publishes a new {@link PlanVersion} with the next version number;
 * it becomes the plan in effect at the next {@link #beginInference()}, never in the middle of one.
 *
 * <p>Not thread-safe for concurrent ticks; {@link #beginInference()} and {@link #current()} may be called
 * from another thread than {@link #tick()}.
 */
public final class Replanner {
    /** How many times a device that stayed slow may have its recovery half-life doubled. */
    static final int MAX_RECOVERY_DOUBLINGS = 6;

    /**
     * Re-planning settings.
     *
     * @param objective       what the planner minimises
     * @param deadlineSeconds latency deadline (energy objective; also reported for latency)
     * @param alpha           EWMA weight of a new measurement, (0, 1]
     * @param gainThreshold   minimum relative improvement worth a new plan (0.10 = 10%)
     * @param confirmTicks    consecutive ticks the gain must persist
     * @param recoveryHalfLifeTicks ticks in which an unmeasured device's estimates halve their distance to its
     *                        profile; 0 keeps them where they were
     */
    public record Config(Planner.Objective objective, double deadlineSeconds, double alpha, double gainThreshold,
                         int confirmTicks, int recoveryHalfLifeTicks) {
        /** Default {@link #recoveryHalfLifeTicks}: 50 ticks (inferences, in an {@code AdaptiveSession}). */
        public static final int DEFAULT_RECOVERY_HALF_LIFE_TICKS = 50;

        public Config {
            Objects.requireNonNull(objective, "objective");
            if (!(deadlineSeconds > 0)) {
                throw new IllegalArgumentException("deadline must be positive");
            }
            if (!(alpha > 0 && alpha <= 1)) {
                throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
            }
            if (!(gainThreshold >= 0) || confirmTicks < 1) {
                throw new IllegalArgumentException("gainThreshold must be >= 0 and confirmTicks >= 1");
            }
            if (recoveryHalfLifeTicks < 0) {
                throw new IllegalArgumentException("recoveryHalfLifeTicks must be >= 0, got " + recoveryHalfLifeTicks);
            }
        }

        /** As the canonical constructor, with the default recovery half-life. */
        public Config(Planner.Objective objective, double deadlineSeconds, double alpha, double gainThreshold,
                      int confirmTicks) {
            this(objective, deadlineSeconds, alpha, gainThreshold, confirmTicks, DEFAULT_RECOVERY_HALF_LIFE_TICKS);
        }

        /** alpha 0.3, 10% gain, 3 confirming ticks, estimates of unmeasured devices recovering in 50 ticks. */
        public static Config defaults(Planner.Objective objective, double deadlineSeconds) {
            return new Config(objective, deadlineSeconds, 0.3, 0.10, 3);
        }
    }

    /**
     * One published plan.
     *
     * @param version increasing from 1
     * @param devices the cluster the plan is for, in order
     * @param rows    input rows per device
     * @param result  the planner's result under the estimates at publication
     * @param reason  why it was published (initial, join/leave, gain)
     */
    public record PlanVersion(long version, List<String> devices, int[] rows, PlanResult result, String reason) {
        public PlanVersion {
            devices = List.copyOf(devices);
            rows = rows.clone();
        }

        @Override
        public int[] rows() {
            return rows.clone();
        }

        /** Rows of a device by name, 0 when it is not in the plan. */
        public int rowsOf(String device) {
            int i = devices.indexOf(device);
            return i < 0 ? 0 : rows[i];
        }
    }

    private final LayerCostTable table;
    private final Map<String, DeviceProfile> profiles;
    private final LiveCounters counters;
    private final Config config;
    private final String initiator;
    private final Map<String, Factor> rateScale = new HashMap<>();
    private final Map<String, Factor> linkScale = new HashMap<>();
    private List<String> members;
    private CostModel model;
    private PlanVersion published;
    private volatile PlanVersion pending;
    private volatile PlanVersion inEffect;
    private int streak;
    private long nextVersion = 1;

    /**
     * @param profiles  profiles of every device that may take part (joiners are looked up here)
     * @param initiator the device holding the input; it must stay in the cluster
     */
    public Replanner(LayerCostTable table, Map<String, DeviceProfile> profiles, String initiator,
                     LiveCounters counters, Config config) {
        this.table = table;
        this.profiles = new LinkedHashMap<>(profiles);
        this.counters = counters;
        this.config = config;
        this.initiator = initiator;
        if (!profiles.containsKey(initiator)) {
            throw new IllegalArgumentException("initiator '" + initiator + "' has no profile");
        }
        this.members = membership(counters.read());
        rebuild();
        publish(plan(), "initial plan");
        this.inEffect = pending;
    }

    /** The plan in effect (the one {@link #beginInference()} last returned). */
    public PlanVersion current() {
        return inEffect;
    }

    /** The latest published plan, in effect from the next inference. */
    public PlanVersion latest() {
        return pending;
    }

    /** Call at the start of each inference: switches to the latest published plan and returns it. */
    public PlanVersion beginInference() {
        inEffect = pending;
        return inEffect;
    }

    /**
     * The rate factor (measured over profiled) of a device: smoothed measurements, drifting toward 1 while the
     * device has no rows; 1 before any measurement.
     */
    public double rateEstimate(String device) {
        return valueOf(rateScale, device);
    }

    /**
     * Reads the counters once, updates the estimates, and publishes a new plan when membership changed or
     * the gain held for {@link Config#confirmTicks} ticks.
     *
     * @return true when a new plan was published
     */
    public boolean tick() {
        List<LiveCounters.Sample> samples = counters.read();
        List<String> now = membership(samples);
        for (LiveCounters.Sample s : samples) {
            DeviceProfile base = profiles.get(s.device());
            if (base == null) {
                continue;
            }
            boolean idle = published.rowsOf(s.device()) == 0;
            if (Double.isFinite(s.flopsPerSecond()) && s.flopsPerSecond() > 0) {
                factor(rateScale, s.device()).measured(s.flopsPerSecond() / effectiveRate(base));
            } else if (idle) {
                factor(rateScale, s.device()).recover();
            }
            if (Double.isFinite(s.linkBytesPerSecond()) && s.linkBytesPerSecond() > 0) {
                factor(linkScale, s.device()).measured(s.linkBytesPerSecond() / base.link().bandwidthBytesPerSecond());
            } else if (idle) {
                factor(linkScale, s.device()).recover();
            }
        }
        if (!now.equals(members)) {
            List<String> before = members;
            members = now;
            rebuild();
            streak = 0;
            publish(plan(), "membership changed: " + before + " -> " + now);
            return true;
        }
        rebuild();
        PlanResult best = plan();
        Prediction cur = model.predict(rowsFor(published));
        double curValue = value(cur);
        double gain = (curValue - value(best.prediction())) / curValue;
        boolean late = cur.latencySeconds() > config.deadlineSeconds() * (1 + config.gainThreshold());
        if ((gain > config.gainThreshold() || late && best.feasible()) && !Arrays.equals(best.rows(), published.rows())) {
            streak++;
        } else {
            streak = 0;
        }
        if (streak >= config.confirmTicks()) {
            streak = 0;
            publish(best, String.format(java.util.Locale.ROOT, "predicted gain %.1f%%%s", gain * 100,
                    late ? " (current plan misses the deadline)" : ""));
            return true;
        }
        return false;
    }

    private Factor factor(Map<String, Factor> scale, String device) {
        return scale.computeIfAbsent(device, d -> new Factor());
    }

    private static double valueOf(Map<String, Factor> scale, String device) {
        Factor f = scale.get(device);
        return f == null ? 1.0 : f.value;
    }

    /** One device's measured-over-profiled factor (rate or link), with its recovery state while unmeasured. */
    private final class Factor {
        double value = 1.0;
        /** The value at the last measurement; {@link #value} differs from it while it drifts unmeasured. */
        double measuredValue = 1.0;
        int doublings;

        void measured(double ratio) {
            double guess = value;
            double before = measuredValue;
            if (Math.abs(guess - before) > config.gainThreshold() * before) {
                // The drift moved the estimate enough to re-plan on it: a guess, which one measurement replaces.
                if (ratio >= guess * (1 - config.gainThreshold())) {
                    doublings = 0; // as fast as guessed
                } else if (ratio < before + (guess - before) / 2) {
                    doublings = Math.min(doublings + 1, MAX_RECOVERY_DOUBLINGS); // not clearly better than before
                }
                value = ratio;
            } else {
                value += config.alpha() * (ratio - value);
            }
            measuredValue = value;
        }

        void recover() {
            if (config.recoveryHalfLifeTicks() == 0 || value == 1.0) {
                return;
            }
            double perTick = Math.pow(0.5, 1.0 / ((double) config.recoveryHalfLifeTicks() * (1 << doublings)));
            value = 1 + (value - 1) * perTick;
        }
    }

    private double value(Prediction p) {
        return config.objective() == Planner.Objective.ENERGY ? p.energyJoules() : p.latencySeconds();
    }

    private int[] rowsFor(PlanVersion v) {
        int[] r = new int[members.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = v.rowsOf(members.get(i));
        }
        return r;
    }

    private List<String> membership(List<LiveCounters.Sample> samples) {
        List<String> m = new ArrayList<>();
        m.add(initiator);
        for (LiveCounters.Sample s : samples) {
            if (profiles.containsKey(s.device()) && !m.contains(s.device())) {
                m.add(s.device());
            }
        }
        return m;
    }

    private void rebuild() {
        List<DeviceProfile> ds = new ArrayList<>();
        for (String name : members) {
            DeviceProfile p = profiles.get(name).scaleRates(valueOf(rateScale, name));
            p = p.withLink(p.link().scaleBandwidth(valueOf(linkScale, name)));
            ds.add(p);
        }
        model = new CostModel(table, new DeviceProfiles.Cluster(ds, initiator));
    }

    private PlanResult plan() {
        return new Planner(model).plan(config.objective(), config.deadlineSeconds());
    }

    private void publish(PlanResult r, String reason) {
        published = new PlanVersion(nextVersion++, members, r.rows(), r, reason);
        pending = published;
    }

    /** FLOP/s the profile predicts over the row-split layers (what a device's counter should show). */
    public double effectiveRate(DeviceProfile d) {
        double seconds = 0;
        for (LayerCostTable.Layer l : table.layers()) {
            seconds += l.flops() / d.rate(l.type());
        }
        return seconds > 0 ? table.spatialFlops() / seconds : d.rate(LayerType.CONV3X3);
    }
}
