package dev.cutover.spring.boot.jpa;

import jakarta.persistence.Embeddable;

/** A customer's address, embedded in the customers table. */
@Embeddable
public class Address {
    private String street;
    private String city;

    protected Address() {
    }

    Address(String street, String city) {
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
