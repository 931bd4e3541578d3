// Command discord-sink is the Discord-format webhook receiver of the monitoring e2e suite.
package main

import "github.com/stack-charts/stack/internal/discord"

func main() { discord.Main() }
