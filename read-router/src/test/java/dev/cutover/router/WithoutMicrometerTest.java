package dev.cutover.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.cutover.flags.FlagStore;
import dev.cutover.flags.MigrationFlags;
import dev.cutover.flags.Stage;
import java.io.File;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The router is usable with no Micrometer on the classpath: only the metrics binder needs it. */
class WithoutMicrometerTest {
    @Test
    void router_routesShadowsAndCompares_withoutMicrometerOnTheClasspath() throws Exception {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        URL[] withoutMicrometer = Arrays.stream(classpath.split(File.pathSeparator))
                .filter(entry -> !entry.contains("micrometer"))
                .map(WithoutMicrometerTest::url)
                .toArray(URL[]::new);
        try (URLClassLoader loader = new URLClassLoader(withoutMicrometer, ClassLoader.getPlatformClassLoader())) {
            assertFalse(canLoad(loader, "io.micrometer.core.instrument.MeterRegistry"),
                    "Micrometer must really be missing for this test to mean anything");
            Method run = loader.loadClass(Scenario.class.getName()).getMethod("run");
            assertEquals("source answer, 1 mismatch", run.invoke(null));
        }
    }

    private static URL url(String entry) {
        try {
            return Path.of(entry).toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException(entry, e);
        }
    }

    private static boolean canLoad(ClassLoader loader, String name) {
        try {
            loader.loadClass(name);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
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
            try (MigrationFlags flags = MigrationFlags.builder(FlagStore.inMemory()).build()) {
                flags.moveTo("m", Stage.DUAL_WRITE, "test", "no micrometer");
                flags.setShadowReadPercent("m", 100, "test", "compare every read");
                try (ReadRouter router = ReadRouter.builder(flags, "m").build()) {
                    String answer = router.read("find", "k", () -> "source answer", () -> "target answer");
                    long deadline = System.nanoTime() + 20_000_000_000L;
                    while (router.stats().compared() == 0 && System.nanoTime() < deadline) {
                        Thread.sleep(10);
                    }
                    return answer + ", " + router.stats().mismatched() + " mismatch";
                }
            }
        }
    }
}
