#!/usr/bin/env python3
"""Fills in and sends Vigil's report page in a real browser, as a villager on the station's
Wi-Fi would: Debian's chromium, headless, with JavaScript switched off (the page must work
without it), driven through chromedriver by Selenium.

Usage: report_page.py URL CONTACT

First sends the form with a place nobody knows and checks that the page comes back with the
error and the answers kept; then picks a place from the list and sends it. Prints one JSON
object: {"error_page": TEXT, "kept": BOOL, "thanks": TEXT, "title": TEXT}. Exits 0 when both
pages were as expected, 1 otherwise, 3 when no browser can be started.
"""

import json
import sys

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=412,915",  # a phone's screen
    ):
        options.add_argument(flag)
    # No JavaScript at all: the page is plain HTML.
    options.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2}
    )
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def fill(driver, where, contact):
    Select(driver.find_element(By.NAME, "category")).select_by_value("armed_men")
    Select(driver.find_element(By.NAME, "when")).select_by_value("15")
    people = driver.find_element(By.NAME, "people")
    people.clear()
    people.send_keys("4")
    description = driver.find_element(By.NAME, "description")
    description.clear()
    description.send_keys("four men with rifles walking to the borehole")
    field = driver.find_element(By.NAME, "contact")
    field.clear()
    field.send_keys(contact)
    typed = driver.find_element(By.NAME, "where")
    typed.clear()
    typed.send_keys(where)


def main():
    url, contact = sys.argv[1], sys.argv[2]
    try:
        driver = browser()
    except WebDriverException as err:
        print("cannot start chromium: %s" % err.msg, file=sys.stderr)
        return 3
    try:
        driver.set_page_load_timeout(20)
        driver.get(url)
        title = driver.title
        fill(driver, "Atlantis", contact)
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 20).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, ".error")
        )
        error_page = driver.find_element(By.CSS_SELECTOR, ".error").text
        kept = driver.find_element(By.NAME, "people").get_attribute("value") == "4"

        # Now as it should be: the place from the list, nothing typed.
        driver.find_element(By.NAME, "where").clear()
        Select(driver.find_element(By.NAME, "place")).select_by_visible_text(
            "Keradu west borehole"
        )
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".ok"))
        thanks = driver.find_element(By.CSS_SELECTOR, ".ok").text
    finally:
        driver.quit()
    print(json.dumps({"error_page": error_page, "kept": kept, "thanks": thanks, "title": title}))
    good = "Where?" in error_page and kept and "report number" in thanks
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
