using Registry.Server.Hosting;

if (args.FirstOrDefault() == "dev-kafka") return await DevKafkaCommand.RunAsync(args);

var app = RegistryApp.Build(args);
await app.RunAsync();
return 0;
