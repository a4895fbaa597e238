package dev.cutover.dualwrite;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a repository method as a read: it is served by one side, chosen by the read router, and
 * never mirrored. Needed on methods JDBI does not describe ({@code @SqlQuery} methods are reads
 * already); on a JDBI write method it overrides the JDBI annotation.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Read {
}
