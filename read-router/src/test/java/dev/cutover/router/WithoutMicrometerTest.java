package dev.cutover.router;

import dev.cutover.testsupport.IsolatedClasspath;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import java.lang.reflect.Method;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/** The router is usable with no Micrometer on the classpath: only the metrics binder needs it. */
class WithoutMicrometerTest {
    @Test
    void router_routesShadowsAndCompares_withoutMicrometerOnTheClasspath() throws Exception {
        try (URLClassLoader loader = IsolatedClasspath.without("micrometer")) {
            assertFalse(IsolatedClasspath.canLoad(loader, "io.micrometer.core.instrument.MeterRegistry"),
                    "Micrometer must really be missing for this test to mean anything");
            Method run = loader.loadClass(Scenario.class.getName()).getMethod("run");
            assertEquals("source answer, 1 mismatch", run.invoke(null));
        }
    }

    /** Runs inside the class loader without Micrometer. */
    public static final class Scenario {
        private Scenario() {
        }

        /**
         * Shadows one read whose answers differ.
         *
         * @return the answer and the mismatch count
         * @throws Exception if the read fails
         */
        public static String run() throws Exception {
            try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).declare("m").build()) {
                flags.moveTo("m", Stage.DUAL_WRITE, "test", "no micrometer");
                flags.setShadowReadPercent("m", 100, "test", "compare every read");
                try (ReadRouter router = ReadRouter.builder(flags, "m").build()) {
                    String answer = router.read("find", "k", () -> "source answer", () -> "target answer");
                    long deadline = System.nanoTime() + 20_000_000_000L;
                    while (router.counts().compared() == 0 && System.nanoTime() < deadline) {
                        Thread.sleep(10);
                    }
                    return answer + ", " + router.counts().mismatched() + " mismatch";
                }
            }
        }
    }
}
