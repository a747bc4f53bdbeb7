// mdsp-fake-feed: the tests' fake TwelveData/Binance server (fake_feed.h) as
// a program, for end-to-end tests that run the mdsp binary against it.
//
//   mdsp-fake-feed DIR     writes DIR/cert.pem (trust it with
//                          twelvedata.ca_file), prints "port N" on stdout,
//                          then reads commands from stdin, one per line:
//     offset S       TwelveData timestamps S seconds from now (negative: past)
//     drop           close every WebSocket abruptly
//     stall on|off   send and answer nothing while on
//     refuse SYMBOL  refuse SYMBOL on subscribe and on REST
//     raw TEXT       send TEXT to every TwelveData connection
//     429 N          the next N REST requests get HTTP 429
//     connections    print "connections N"
//     quit           exit (also at the end of stdin)
// Each command is answered with "ok" (or its value) once done.
#include <cstdio>
#include <iostream>
#include <string>

#include "feed/tests/fake_feed.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: mdsp-fake-feed DIR (an existing folder for the certificate)\n");
        return 2;
    }
    mdsp::feed::testing::fake_feed fake(argv[1]);
    std::cout << "port " << fake.port() << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
        auto sp = line.find(' ');
        std::string cmd = line.substr(0, sp);
        std::string arg = sp == std::string::npos ? "" : line.substr(sp + 1);
        if (cmd == "offset") {
            fake.set_future_seconds(std::stoll(arg));
        } else if (cmd == "drop") {
            fake.drop_all();
        } else if (cmd == "stall") {
            fake.stall(arg == "on");
        } else if (cmd == "refuse") {
            fake.refuse_symbol(arg);
        } else if (cmd == "raw") {
            fake.send_raw(arg);
        } else if (cmd == "429") {
            fake.answer_429(std::stoi(arg));
        } else if (cmd == "connections") {
            std::cout << "connections " << fake.ws_connections() << std::endl;
            continue;
        } else if (cmd == "quit") {
            break;
        } else {
            std::cout << "unknown command " << cmd << std::endl;
            continue;
        }
        std::cout << "ok" << std::endl;
    }
    return 0;
}
