package dev.cutover.spring.boot.jpashop;

import jakarta.persistence.Embeddable;

/** A buyer's address, embedded in the buyers table. */
@Embeddable
public class Location {
    private String street;
    private String city;

    protected Location() {
    }

    Location(String street, String city) {
        this.street = street;
        this.city = city;
    }

    String street() {
        return street;
    }

    String city() {
        return city;
    }
}
