package dev.cutover.spring.boot.jpashop;

/** A checked exception: by Spring's default rules it does not roll the transaction back. */
public class Declined extends Exception {
    Declined(String message) {
        super(message);
    }
}
